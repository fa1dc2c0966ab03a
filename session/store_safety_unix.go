//go:build unix

package session

import "syscall"

// noFollow makes an open fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// checkPerm says whether permission bits mean what they say here.
const checkPerm = true
