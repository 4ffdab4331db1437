import HostOS

/// How a child process ended: the host layer's one wait-status type, under the name the driver's API uses.
public typealias ProcessExitStatus = WaitStatus
