//go:build !linux

package route

import "os"

func sysStamp(os.FileInfo) (ctime int64, inode uint64) { return 0, 0 }

func identity(os.FileInfo) (dev, ino uint64) { return 0, 0 }
