import Shim

// containerd's runtime v2 shim for gVisor (`io.containerd.runsc.v1`). All logic lives in the Shim library.
ShimMain.prepareProcess()
ShimMain.main(arguments: CommandLine.arguments)
