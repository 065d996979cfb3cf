package httpapi_test

import "regexp"

var paramRe = regexp.MustCompile(`\{[a-z_]+\}`)
