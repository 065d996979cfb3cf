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
