package jaegertest

import "syscall"

// sysProcAttr asks the kernel to kill Jaeger if the test process dies
// without running its cleanups (a test timeout panic, a kill -9).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
