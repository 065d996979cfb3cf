package device

import (
	"encoding/json"
	"time"
)

// The device protocol (GW-1, GW-2): the JSON bodies of /device/v1. The
// gateway serves them and the simulator speaks them.

// Hello is a device's first message: its factory credential and what it is.
// PublicKey is the device's X25519 key (base64) for sealed command secrets:
// passwords travel to the device sealed for it, so the portal never holds
// them in clear (DEV-6).
type Hello struct {
	Serial    string    `json:"serial"`
	Secret    string    `json:"secret"`
	Model     string    `json:"model"`
	Firmware  string    `json:"firmware"`
	Accounts  []Account `json:"accounts"`
	PublicKey string    `json:"public_key"`
}

// Welcome answers a Hello: a short-lived device token (send it as a Bearer
// token), when it expires (say Hello again before), and the heartbeat
// interval. Claimed tells whether an organization owns the device; an
// unclaimed device receives no commands.
type Welcome struct {
	Token            string    `json:"token"`
	ExpiresAt        time.Time `json:"expires_at"`
	HeartbeatSeconds int       `json:"heartbeat_seconds"`
	Claimed          bool      `json:"claimed"`
}

// Heartbeat reports presence and, when they changed, firmware and accounts.
type Heartbeat struct {
	Firmware string    `json:"firmware,omitempty"`
	Accounts []Account `json:"accounts,omitempty"`
}

// HeartbeatReply answers a heartbeat.
type HeartbeatReply struct {
	HeartbeatSeconds int  `json:"heartbeat_seconds"`
	Claimed          bool `json:"claimed"`
}

// WireCommand is a command as a device receives it. IssuedAt is when the
// command was written (load tests measure issue → receive with it).
type WireCommand struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Args     json.RawMessage `json:"args,omitempty"`
	IssuedAt time.Time       `json:"issued_at"`
}

// Commands is the answer to a long-poll: zero or more commands.
type Commands struct {
	Commands []WireCommand `json:"commands"`
}

// Result is a device's outcome for a command. Accounts, when present, is the
// device's account list after applying it.
type Result struct {
	OK       bool      `json:"ok"`
	Message  string    `json:"message,omitempty"`
	Accounts []Account `json:"accounts,omitempty"`
	// Firmware is the version the device runs after the command (the
	// result of an upgrade, see CmdUpgrade).
	Firmware string `json:"firmware,omitempty"`
}

// ResultReply answers a result with the command's recorded outcome, which
// for a repeated result is the first one.
type ResultReply struct {
	State  string `json:"state"`
	Result string `json:"result,omitempty"`
}

// AccountArgs are the arguments of the account commands. Password travels
// sealed to the device's public key (see Seal).
type AccountArgs struct {
	Username       string `json:"username"`
	Role           string `json:"role,omitempty"`
	SealedPassword string `json:"sealed_password,omitempty"`
}
