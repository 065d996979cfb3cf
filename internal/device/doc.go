// Package device is the protocol devices speak with the portal, /device/v1
// (SPEC §6): the JSON bodies of hello, heartbeat, long-poll and result, the
// command types and states, the sealing of secrets to one device's key, and
// the rules a device enforces on its local accounts (DEV-6).
//
// It imports no domain package: the gateway serves it, the fleet service
// issues commands in its terms, and the simulator speaks it without knowing
// anything else of the portal. The ACS Pro servers' protocol (/server/v1)
// will live beside it in a package of its own, on the same terms.
package device
