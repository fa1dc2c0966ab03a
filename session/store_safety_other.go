//go:build !unix

package session

// noFollow is zero where the platform has no O_NOFOLLOW; directories are
// still checked with Lstat.
const noFollow = 0

// checkPerm is false where permission bits do not describe access.
const checkPerm = false
