import GVisorConfig
import OCI

/// A bundle's `config.json`, read and decoded once per Create. The steps that change it before runsc sees it
/// (Hardening's capability rule, the CRI pod rewrite, nvproxy's devices) edit ``document`` in memory, and
/// ``writeIfChanged()`` writes it back once, atomically, only when one of them changed it; the steps that only
/// read it (CRI annotations, the root path, the executable check) read the same value.
struct BundleSpec {
    let bundle: String
    /// The whole spec; setting it marks the spec changed, so steps assign only what they changed.
    var document: JSONValue {
        didSet { isChanged = true }
    }
    private(set) var isChanged = false

    var path: String { "\(bundle)/config.json" }

    /// Reads `<bundle>/config.json`; a missing or malformed spec is the request's fault (InvalidArgument).
    init(bundle: String) throws(ShimError) {
        let path = "\(bundle)/config.json"
        guard let bytes = readFile(path) else { throw .invalidArgument("\(path): cannot read the OCI runtime spec") }
        let document = try ShimError.wrapping(.invalidArgument, path) {
            try JSONValue.decode(bytes, file: path)
        }
        self.init(bundle: bundle, document: document)
    }

    init(bundle: String, document: JSONValue) {
        self.bundle = bundle
        self.document = document
    }

    /// Writes the spec over `config.json` (temporary file and rename) if a step changed it.
    func writeIfChanged() throws(ShimError) {
        guard isChanged else { return }
        try ShimError.wrapping(.internalError, "cannot rewrite \(path)") {
            try ConfigFile.writeAtomically(String(decoding: document.encoded(), as: UTF8.self), to: path, mode: 0o644)
        }
    }

    // MARK: What Create reads

    /// The string annotations.
    var annotations: [String: String] {
        (document["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// The container type CRI (or CRI-O) set: `sandbox` or `container`; nil outside a pod.
    var criContainerType: String? {
        annotations[CRIAnnotations.containerType] ?? annotations[CRIAnnotations.crioContainerType]
    }

    /// The pod's sandbox id (containerd's or CRI-O's spelling), for app containers and the sandbox.
    var sandboxID: String? { annotations[CRIAnnotations.sandboxID] ?? annotations[CRIAnnotations.crioSandboxID] }

    /// A pod's sandbox or app container, whose spec gets the pod rewrites.
    var isCRI: Bool { criContainerType == "sandbox" || criContainerType == "container" }

    /// A CRI app container joins its pod's running sandbox instead of booting one.
    var isSubcontainer: Bool { criContainerType == "container" }

    /// `root.path` resolved against the bundle (`rootfs` when the spec names none).
    var rootPath: String {
        let path = document["root"]?["path"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "rootfs"
        return path.hasPrefix("/") ? path : "\(bundle)/\(path)"
    }

    /// runc's executable check (ExecutableCheck.swift) for the spec's process, in its root.
    var executableCheck: ExecutableCheck {
        func strings(_ value: JSONValue?) -> [String]? { value?.arrayValue?.compactMap(\.stringValue) }
        let process = document["process"].map { process in
            ExecutableCheck.Spec.Process(
                args: strings(process["args"]), env: strings(process["env"]), cwd: process["cwd"]?.stringValue)
        }
        let mounts = document["mounts"]?.arrayValue?.map {
            ExecutableCheck.Spec.Mount(destination: $0["destination"]?.stringValue)
        }
        return ExecutableCheck(
            rootfs: rootPath, spec: ExecutableCheck.Spec(process: process, root: nil, mounts: mounts))
    }
}
