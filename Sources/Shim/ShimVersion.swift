/// The shim's version as `-v` prints it and Connect reports it.
public enum ShimVersion {
    public static let version = "0.1.0"
    public static let runtime = "io.containerd.runsc.v1"
}
