package api

import "time"

// The wire types of the license manager (SPEC §9) in /api/v1.

// ProductRequest adds a product to the vendor's catalogue.
type ProductRequest struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Licensing string `json:"licensing"` // subscription, hardware or both
	// Covers are the device model patterns whose devices count in the
	// product's need: a model, or a prefix and a * ("AXIS P*", "*").
	Covers []string `json:"covers"`
	// Gates are the portal features the product licenses (LIC-14).
	Gates []string `json:"gates"`
}

// ProductJSON is a product of the vendor's catalogue.
type ProductJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Licensing string    `json:"licensing"`
	Covers    []string  `json:"covers"`
	Gates     []string  `json:"gates"`
	CreatedAt time.Time `json:"created_at"`
}

// LicenseKeysRequest issues license keys (vendor, LIC-3).
type LicenseKeysRequest struct {
	Product  string `json:"product"`
	Quantity int    `json:"quantity"` // licenses per key
	Count    int    `json:"count"`    // keys to issue
}

// IssuedKeyJSON is an issued key, shown only this once.
type IssuedKeyJSON struct {
	Key      string `json:"key"`
	Product  string `json:"product"`
	Quantity int    `json:"quantity"`
}

// RedeemRequest converts a license key (LIC-3): typed or pasted, case,
// spaces and hyphens ignored.
type RedeemRequest struct {
	Key string `json:"key"`
}

// LotJSON is a lot of the product wallet (LIC-2): what is left of it, what
// entered, how, the day it entered and the day it leaves the wallet.
type LotJSON struct {
	ID        string `json:"id"`
	Quantity  int    `json:"quantity"`
	Original  int    `json:"original"`
	Source    string `json:"source"`     // redeem or compensation
	EnteredAt string `json:"entered_at"` // YYYY-MM-DD
	ExpiresAt string `json:"expires_at"` // YYYY-MM-DD: its first day out of the wallet
}

// RedeemedJSON answers a redemption: the lot that entered the wallet.
type RedeemedJSON struct {
	Product     string  `json:"product"`
	ProductName string  `json:"product_name"`
	Lot         LotJSON `json:"lot"`
}

// WalletJSON is a product's wallet: the lots holding licenses, those
// expiring first first, and their sum.
type WalletJSON struct {
	Product   string    `json:"product"`
	Items     []LotJSON `json:"items"`
	Available int       `json:"available"`
}

// LicenseEntryJSON is one entry of the license history (LIC-13).
type LicenseEntryJSON struct {
	ID       string            `json:"id"`
	At       time.Time         `json:"at"`
	Day      string            `json:"day"` // YYYY-MM-DD
	Actor    ActorJSON         `json:"actor"`
	Product  string            `json:"product"`
	Kind     string            `json:"kind"`
	Quantity int               `json:"quantity"`
	Year     *int              `json:"year,omitempty"` // the subscription year (0: the one beginning on the anchor)
	Lot      string            `json:"lot,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
}

// LicenseWarningJSON is a warning beside a product's status (LIC-5):
// growth_limit_exceeded (quantity: the licenses to allocate to the current
// year now) or renewal_due (days: until the renewal; quantity: what the
// next year lacks).
type LicenseWarningJSON struct {
	Code     string `json:"code"`
	Days     int    `json:"days,omitempty"`
	Quantity int    `json:"quantity"`
}

// ProductStatusJSON is a product of the catalogue in an organization
// (LIC-1, LIC-5). Status is not_started, trial, licensed, grace or
// unlicensed; days_left is set in trial and grace. Days are YYYY-MM-DD.
type ProductStatusJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Licensing string `json:"licensing"`
	Status    string `json:"status"`
	DaysLeft  int    `json:"days_left"`
	// Need is the current need: the devices whose model the product
	// covers; YearNeed the current year's need as recorded.
	Need     int `json:"need"`
	YearNeed int `json:"year_need"`
	// Allocated is what the current year has; Ahead what each of the
	// next 5 years has (ahead[0] is next year).
	Allocated int                  `json:"allocated"`
	Ahead     []int                `json:"ahead"`
	Wallet    int                  `json:"wallet"`
	Pending   int                  `json:"pending"`
	Warnings  []LicenseWarningJSON `json:"warnings"`
	StartedOn string               `json:"started_on,omitempty"`
	TrialEnds string               `json:"trial_ends,omitempty"`
	GraceEnds string               `json:"grace_ends,omitempty"`
	RenewsOn  string               `json:"renews_on,omitempty"`
	// Year is the current subscription year (0: the one beginning on the
	// organization's anchor), from YearStart to YearEnd; absent while the
	// organization started no product.
	Year      *int     `json:"year,omitempty"`
	YearStart string   `json:"year_start,omitempty"`
	YearEnd   string   `json:"year_end,omitempty"`
	Gates     []string `json:"gates"`
	// Models and Folders break the need down per model and per folder (the
	// product's overview: in GET …/products/{product} only).
	Models  []ModelNeedJSON  `json:"models,omitempty"`
	Folders []FolderNeedJSON `json:"folders,omitempty"`
}

// ModelNeedJSON is how many devices of one model a product covers.
type ModelNeedJSON struct {
	Model   string `json:"model"`
	Devices int    `json:"devices"`
}

// FolderNeedJSON is how many devices a product covers in one folder.
type FolderNeedJSON struct {
	FolderID string `json:"folder_id"`
	Name     string `json:"name"`
	Path     string `json:"path"`
	Devices  int    `json:"devices"`
}

// AllocationRequest allocates licenses (LIC-6): year 0 is the current
// subscription year, up to 5 years ahead. Without confirm nothing changes
// and the answer is the summary.
type AllocationRequest struct {
	Year     int  `json:"year"`
	Quantity int  `json:"quantity"`
	Confirm  bool `json:"confirm"`
}

// TakenLotJSON is what an allocation takes from one lot.
type TakenLotJSON struct {
	Lot       string `json:"lot"`
	Quantity  int    `json:"quantity"`
	ExpiresAt string `json:"expires_at"`
}

// AllocationJSON is an allocation's summary, or what it did once
// confirmed (done): the lots taken, the compensation credited back to the
// wallet and the day it is counted from (LIC-9), and the status it leads
// to.
type AllocationJSON struct {
	Product      string         `json:"product"`
	Year         int            `json:"year"` // the subscription year (0: the one beginning on the anchor)
	YearStart    string         `json:"year_start"`
	Quantity     int            `json:"quantity"`
	Lots         []TakenLotJSON `json:"lots"`
	Compensation int            `json:"compensation"`
	From         string         `json:"compensation_from"`
	// CompensationLot is the lot the compensation entered as (once done).
	CompensationLot *LotJSON          `json:"compensation_lot,omitempty"`
	EndsTrial       bool              `json:"ends_trial"`
	StatusBefore    string            `json:"status_before"`
	Status          ProductStatusJSON `json:"status"`
	WalletBefore    int               `json:"wallet_before"`
	Done            bool              `json:"done"`
}
