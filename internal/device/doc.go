// Package device is the protocol devices speak with the portal, /device/v1
// (SPEC §6): the JSON bodies of hello, heartbeat, long-poll and result, the
// command types and states, the sealing of secrets to one device's key, and
// the rules a device enforces on its local accounts (DEV-6). It also holds
// the protocol of ACS Pro servers, /server/v1 (SPEC §8, server.go):
// registration, polls with health and the upgrade queue, upgrade results.
//
// It imports no domain package: the gateway serves it, the fleet service
// issues commands in its terms, and the simulator speaks it without knowing
// anything else of the portal.
package device
