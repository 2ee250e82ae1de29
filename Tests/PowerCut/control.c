/*
 * The power-cut control: proves that lazyfs drops what was not synced, with
 * nothing of PenPals in the way.
 *
 *   control write DB FULL|OFF   commits one row per transaction until a write fails,
 *                               printing each committed row's id (the acknowledgement)
 *   control check DB [--ids]    prints "integrity ok rows N" (or the first problem),
 *                               then with --ids the ids of the rows that are there
 *
 * The table is created with synchronous=FULL, so that the database file and its
 * WAL exist durably before the chosen mode starts: what OFF loses afterwards is
 * lost from the page cache alone, not with a directory entry.
 */
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "control: %s: %s\n", what, db ? sqlite3_errmsg(db) : "cannot open");
    return 1;
}

int main(int argc, char *argv[]) {
    if (argc < 3 || (strcmp(argv[1], "write") == 0 && argc < 4)) {
        fprintf(stderr, "usage: control write DB FULL|OFF | control check DB\n");
        return 2;
    }
    sqlite3 *db = NULL;
    /* check never creates the database: one that vanished is an error, not an empty table. */
    int flags = SQLITE_OPEN_READWRITE | (strcmp(argv[1], "check") == 0 ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(argv[2], &db, flags, NULL) != SQLITE_OK) return fail(db, "open");
    sqlite3_busy_timeout(db, 5000);

    if (strcmp(argv[1], "check") == 0) {
        /* The first line: "integrity ok rows N"; then, with --ids, the ids that are there. */
        sqlite3_stmt *integrity, *ids;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &integrity, NULL) != SQLITE_OK ||
            sqlite3_step(integrity) != SQLITE_ROW) return fail(db, "integrity_check");
        printf("integrity %s", sqlite3_column_text(integrity, 0));
        if (sqlite3_prepare_v2(db, "SELECT id FROM row ORDER BY id", -1, &ids, NULL) != SQLITE_OK) {
            printf(" rows 0 (no table)\n");
            return 0;
        }
        long long rows = 0;
        char *list = NULL;
        size_t length = 0;
        FILE *out = open_memstream(&list, &length);
        while (sqlite3_step(ids) == SQLITE_ROW) {
            fprintf(out, "%lld\n", sqlite3_column_int64(ids, 0));
            rows++;
        }
        fclose(out);
        printf(" rows %lld\n", rows);
        if (argc > 3 && strcmp(argv[3], "--ids") == 0) fputs(list, stdout);
        return 0;
    }

    char setup[256];
    snprintf(setup, sizeof setup, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
             "CREATE TABLE IF NOT EXISTS row (id INTEGER PRIMARY KEY, payload BLOB NOT NULL); "
             "PRAGMA synchronous=%s;", strcmp(argv[3], "OFF") == 0 ? "OFF" : "FULL");
    if (sqlite3_exec(db, setup, NULL, NULL, NULL) != SQLITE_OK) return fail(db, "setup");
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v2(db, "INSERT INTO row (payload) VALUES (randomblob(1000))", -1, &insert, NULL) != SQLITE_OK)
        return fail(db, "prepare");
    for (;;) {
        if (sqlite3_step(insert) != SQLITE_DONE) return fail(db, "insert");
        sqlite3_reset(insert);
        /* Autocommit: the row is committed (and, with FULL, synced) when the step returns. */
        printf("%lld\n", sqlite3_last_insert_rowid(db));
        fflush(stdout);
    }
}
