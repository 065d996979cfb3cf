package gateway

// OpenPaths are the gateway's paths whose requests carry no credential in
// their headers: a device's hello (its factory secret is in the body) and an
// ACS Pro server's registration (its enrolment token is in the body). The
// server reads their bodies under tighter bounds than others'
// (httpapi.Limits).
func OpenPaths() []string { return []string{"/device/v1/hello", "/server/v1/register"} }
