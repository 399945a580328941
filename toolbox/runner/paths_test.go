package runner

import "testing"

func TestContainerPathOnEverySystem(t *testing.T) {
	for _, c := range []struct{ goos, host, want string }{
		{"linux", "/home/me/my proj", "/home/me/my proj"},
		{"darwin", "/Users/me/src/infra", "/Users/me/src/infra"},
		{"windows", `C:\Users\me\proj`, "/c/Users/me/proj"},
		{"windows", `D:\work\infra\sub\`, "/d/work/infra/sub"},
		{"windows", `c:\x`, "/c/x"},
		{"windows", `\\fileserver\team\infra`, "//fileserver/team/infra"},
	} {
		if got := ContainerPath(c.goos, c.host); got != c.want {
			t.Errorf("ContainerPath(%s, %q) = %q, want %q", c.goos, c.host, got, c.want)
		}
	}
}
