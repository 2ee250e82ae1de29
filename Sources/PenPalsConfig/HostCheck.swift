import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension PenPalsConfig {
    /// Checks what can only be checked on this machine, before anything is created:
    /// each listed node's `data_dir` is a writable folder (or does not exist yet and its
    /// nearest existing ancestor is a writable folder), and its listen address can be
    /// bound right now. The addresses are bound together, so two nodes that would share
    /// a socket are caught too, and all sockets are closed before this returns.
    /// Throws the first problem, node by node in the order given.
    public func checkHost(nodes: [NodeConfig]) throws(ConfigError) {
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        var checked: Set<String> = []
        var bound: Set<ListenAddress> = []
        for node in nodes where checked.insert(node.name).inserted {
            let entry = keyPath(of: node)
            // Nodes that share an address (told apart by their url paths) share its socket.
            if bound.insert(node.listen).inserted {
                sockets.append(try bindListen(node.listen, key: "\(entry).listen"))
            }
            try checkDataDir(node.dataDir, key: "\(entry).data_dir")
        }
    }

    private func hostError(_ key: String, _ problem: String, _ fix: String) -> ConfigError {
        ConfigError(file: displayPath, key: key, problem: problem, fix: fix)
    }

    /// Binds and listens on `address` the way the server will (SO_REUSEADDR, first
    /// address getaddrinfo gives), and returns the open socket.
    private func bindListen(_ address: ListenAddress, key: String) throws(ConfigError) -> Int32 {
        let text = quoted(address.description)
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let info = result else {
            let reason = String(cString: gai_strerror(status))
            throw hostError(key, "\(text) cannot be resolved on this machine (\(reason))",
                            "Use an IP address of this machine, e.g. \"127.0.0.1:\(address.port)\" or \"0.0.0.0:\(address.port)\"")
        }
        defer { freeaddrinfo(result) }

        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw hostError(key, "cannot open a socket for \(text) (\(reason))", "Check that this machine supports that address family")
        }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 || listen(fd, 1) != 0 {
            let code = errno
            close(fd)
            switch code {
            case EADDRINUSE:
                throw hostError(key, "\(text) is already in use",
                                "Stop the program that listens there (`ss -ltnp` shows it; maybe a penpals serve already runs) or give this node another port")
            case EADDRNOTAVAIL:
                throw hostError(key, "\(text) is not an address of this machine",
                                "Use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or an address this machine has")
            case EACCES, EPERM:
                throw hostError(key, "this user may not listen on \(text)",
                                address.port < 1024 ? "Use a port from 1024 up, e.g. \"\(ListenAddress(host: address.host, port: 7411))\", or run with the privilege to bind low ports"
                                                    : "Use another port, or run with the needed privileges")
            default:
                throw hostError(key, "cannot listen on \(text) (\(String(cString: strerror(code))))",
                                "Use another address or port")
            }
        }
        return fd
    }

    private func checkDataDir(_ dir: URL, key: String) throws(ConfigError) {
        let fm = FileManager.default
        let path = dir.path
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw hostError(key, "\(quoted(path)) is a file, not a folder",
                                "Point data_dir at a folder (it is created if missing), or move the file away")
            }
            guard access(path, W_OK | X_OK) == 0 else {
                throw hostError(key, "the folder \(quoted(path)) is not writable (\(String(cString: strerror(errno))))",
                                "Make it writable by the user that runs penpals (e.g. chown or chmod u+w), or choose another data_dir")
            }
            return
        }
        // Does not exist yet: its nearest existing ancestor must be a writable folder.
        var ancestor = dir.deletingLastPathComponent()
        while !fm.fileExists(atPath: ancestor.path, isDirectory: &isFolder) {
            let parent = ancestor.deletingLastPathComponent()
            if parent.path == ancestor.path { break }
            ancestor = parent
        }
        let ancestorPath = ancestor.path
        guard fm.fileExists(atPath: ancestorPath, isDirectory: &isFolder) else {
            throw hostError(key, "no part of \(quoted(path)) exists", "Choose a data_dir inside an existing folder")
        }
        guard isFolder.boolValue else {
            throw hostError(key, "\(quoted(path)) cannot be created: \(quoted(ancestorPath)) is a file, not a folder",
                            "Choose a data_dir that is not inside a file")
        }
        guard access(ancestorPath, W_OK | X_OK) == 0 else {
            throw hostError(key, "\(quoted(path)) cannot be created: the folder \(quoted(ancestorPath)) is not writable (\(String(cString: strerror(errno))))",
                            "Create \(quoted(path)) for the user that runs penpals, or choose a data_dir in a writable folder")
        }
    }
}
