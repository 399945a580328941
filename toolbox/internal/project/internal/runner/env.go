package runner

import (
	"path"
	"sort"
	"strings"
)

// proxyVars are passed through unless a tool sets proxy = false.
var proxyVars = []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "FTP_PROXY", "ALL_PROXY",
	"http_proxy", "https_proxy", "no_proxy", "ftp_proxy", "all_proxy"}

// caVars point the usual TLS stacks at an extra CA bundle.
var caVars = []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO", "AZURE_CLI_CA_BUNDLE"}

// resolveEnv applies the recipe's env rules to the host environment: a name
// passes the host's value through when it is set, a glob passes every
// matching variable, NAME=value sets a fixed value. Later rules win.
func resolveEnv(rules []string, host []string, proxy bool) []string {
	hostEnv := map[string]string{}
	for _, kv := range host {
		if k, v, ok := strings.Cut(kv, "="); ok {
			hostEnv[k] = v
		}
	}
	out := map[string]string{}
	if proxy {
		for _, k := range proxyVars {
			if v, ok := hostEnv[k]; ok {
				out[k] = v
			}
		}
	}
	for _, rule := range rules {
		name, value, fixed := strings.Cut(rule, "=")
		switch {
		case fixed:
			out[name] = value
		case strings.ContainsAny(name, "*?"):
			for k, v := range hostEnv {
				if ok, _ := path.Match(name, k); ok {
					out[k] = v
				}
			}
		default:
			if v, ok := hostEnv[name]; ok {
				out[name] = v
			}
		}
	}
	return sorted(out)
}

func sorted(m map[string]string) []string {
	list := make([]string, 0, len(m))
	for k, v := range m {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	return list
}

// EnvNames lists the variable names of env, never the values: what debug
// output may show.
func EnvNames(env []string) []string {
	names := make([]string, len(env))
	for i, kv := range env {
		names[i], _, _ = strings.Cut(kv, "=")
	}
	return names
}
