package fleet

import (
	"context"
	"mysystems/internal/device"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/firmware"
	"mysystems/internal/org"
)

// Filter narrows the device list (DEV-4). Zero values do not filter.
type Filter struct {
	FolderID string // the folder and everything below it
	Model    string
	Firmware string
	Status   string // "online" or "offline"
	Query    string // substring of name or serial
	Sort     string // name, serial, model, firmware, last_seen, claimed (prefix "-" for descending)
	// Upgrade is "yes" (only devices with a recommended upgrade, FW-2) or
	// "no" (only those without one).
	Upgrade string
	// Upgradable are the (model, firmware) pairs of the organization's
	// visible devices that have a recommended upgrade, for Upgrade: set by
	// the service from the catalogue, so the store filters with them.
	Upgradable []firmware.Installed
	// Folders limits the list to these folders (already expanded to
	// subtrees); nil means every folder. Set from the member's access and
	// the FolderID filter.
	Folders []string
	// OnlineSince is the last-seen time after which (strictly) a device
	// counts as online (now − OnlineWindow), for Status.
	OnlineSince time.Time
}

// Page asks for one page of a list.
type Page = audit.Page

// Secrets are the hashes of a minted device's factory secret and OAK.
type Secrets struct {
	SecretHash string
	OAKHash    string
}

// Reported is what a device last told the portal about itself.
type Reported struct {
	Serial    string
	Model     string
	Firmware  string
	Accounts  []device.Account
	PublicKey string
	HelloAt   *time.Time
	// OrgID and DeviceID name the current claim, if any.
	OrgID    string
	DeviceID string
}

// Tx is what the fleet service needs of a store transaction.
type Tx interface {
	org.Tx

	CreateIdentity(ctx context.Context, id Identity, s Secrets) error
	IdentitySecrets(ctx context.Context, serial string) (Identity, Secrets, error)
	Reported(ctx context.Context, serial string) (Reported, error)
	SetReported(ctx context.Context, r Reported) error
	SetClaim(ctx context.Context, serial, orgID, deviceID string) error

	CreateDevice(ctx context.Context, d Device) error
	Device(ctx context.Context, orgID, id string) (Device, error)
	UpdateDevice(ctx context.Context, d Device) error
	DeleteDevice(ctx context.Context, orgID, id string) error
	Devices(ctx context.Context, orgID string, f Filter, p Page) ([]Device, string, error)
	// CountDevices counts the devices of an organization that match f.
	CountDevices(ctx context.Context, orgID string, f Filter) (int, error)
	// DeviceVersions counts an organization's devices by model and
	// firmware, in folders (nil: every folder).
	DeviceVersions(ctx context.Context, orgID string, folders []string) ([]firmware.Counted, error)

	CreateCommand(ctx context.Context, c Command) error
	Command(ctx context.Context, orgID, id string) (Command, error)
	FailOpenCommands(ctx context.Context, orgID, serial, reason string, at time.Time) error
	// LatestCommands returns, for each of an organization's devices named
	// by serial, its latest command of type typ created at or after since,
	// by device id.
	LatestCommands(ctx context.Context, orgID, typ string, serials []string, since time.Time) (map[string]Command, error)

	// RateCount and RateHit keep the attempts of sliding-window rate limits
	// (as account.RateTx does).
	RateCount(ctx context.Context, key string, now time.Time, window time.Duration, max int) (n int, next time.Time, err error)
	RateHit(ctx context.Context, key string, now time.Time, window time.Duration) (id string, err error)
	TakeBackRate(ctx context.Context, id string) error
}

// Store runs transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// DeviceKey names a claimed device on the device side: its organization
// and its serial.
type DeviceKey struct {
	OrgID  string
	Serial string
}

// DeviceTx is what the device side of the fleet (the gateway's use cases)
// needs of a store transaction. A device authenticates with its serial;
// its organization is the claim of its identity (Claims, read at hello and
// kept with its connection), and every read or write of a device's record
// or commands takes that organization and filters by it, so a device
// removed from one organization and claimed by another never sees the
// first one's commands.
type DeviceTx interface {
	Reported(ctx context.Context, serial string) (Reported, error)
	SetReported(ctx context.Context, r Reported) error
	SetReportedBatch(ctx context.Context, reps []Reported) error
	SettingOrInit(ctx context.Context, name, value string) (string, error)
	// Claims answers the organization that owns each of the serials ("" if
	// unclaimed or unknown), from the platform's device identities.
	Claims(ctx context.Context, serials []string) (map[string]string, error)
	OpenCommands(ctx context.Context, orgID, serial string, limit int) ([]Command, error)
	// OpenCommandDevices lists, across organizations, the devices with
	// commands awaiting an outcome (the gateway's start-up scan).
	OpenCommandDevices(ctx context.Context) ([]DeviceKey, error)
	CommandByID(ctx context.Context, orgID, serial, id string) (Command, error)
	// MarkDelivered records a delivery of the organization's commands among
	// ids that are still open and returns their ids (the others ended
	// meanwhile).
	MarkDelivered(ctx context.Context, orgID string, ids []string, at time.Time) ([]string, error)
	SaveCommandOutcome(ctx context.Context, c Command) error
	TouchDevices(ctx context.Context, seen map[DeviceKey]time.Time) error
	RecordAudit(ctx context.Context, e audit.Entry) error
}

// DeviceStore runs the device side's transactions, and answers a hello's
// read in one round trip.
type DeviceStore interface {
	Read(ctx context.Context, fn func(DeviceTx) error) error
	Write(ctx context.Context, fn func(DeviceTx) error) error
	// WriteGrouped is Write for the devices' small, frequent writes: fn
	// shares one transaction with the calls made meanwhile, undone alone
	// if it fails, committed with them.
	WriteGrouped(ctx context.Context, fn func(DeviceTx) error) error
	HelloView(ctx context.Context, serial string) (secretHash string, rep Reported, err error)
}

// Notifier wakes whatever waits for a device's commands (a long-poll on
// this instance or, through the database, on another), after the command
// is committed. orgID is the device's organization, or "" when it changed
// (the device was removed): the gateway then reads it again.
type Notifier interface {
	Notify(orgID, serial string)
}
