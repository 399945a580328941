// Package realtools holds the tests of tbx with the real tool images of
// images/ (kubectl, Ansible, the Azure CLI), built from Debian's packages on the real
// Engine: the files a user names outside the project reach the tool as
// they reach a local binary, and no more. It has no code of its own.
package realtools
