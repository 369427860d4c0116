package templates

import (
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

func english() *labels {
	return &labels{
		types: map[partnerships.RelationshipType]typeText{
			partnerships.Reseller: {
				Label:       "Reseller",
				Phrase:      "a reseller relationship",
				Description: "The partner sells products and services to your organisation and gets no admin roles in your tenant.",
			},
			partnerships.DelegatedAdmin: {
				Label:       "Delegated administrator",
				Phrase:      "a delegated administrator relationship",
				Description: "The partner manages products and services for your organisation as a global administrator in your tenant: it can create users, assign licences and reset passwords.",
			},
			partnerships.ResellerDelegatedAdmin: {
				Label:       "Reseller and delegated administrator",
				Phrase:      "a reseller and delegated administrator relationship",
				Description: "The partner sells products and services to your organisation and manages them as a global administrator in your tenant.",
			},
			partnerships.PartnerAccount: {
				Label:       "Partner with a user account",
				Phrase:      "a partner relationship with a user account",
				Description: "Your organisation gives the partner a user account in your tenant, so it can work with your services on your behalf.",
			},
			partnerships.Advisor: {
				Label:       "Advisor",
				Phrase:      "an advisor relationship",
				Description: "The partner can reset passwords and handle support incidents for your organisation as a helpdesk administrator.",
			},
			partnerships.MPSA: {
				Label:       "MPSA partner",
				Phrase:      "an MPSA partner relationship",
				Description: "Partners your organisation works with through the Microsoft Products and Services Agreement (MPSA) programme may see each other's purchases.",
			},
			partnerships.LineOfBusiness: {
				Label:       "Line-of-business app partner",
				Phrase:      "a line-of-business app relationship",
				Description: "The partner builds, submits and manages line-of-business apps for your organisation as an application administrator.",
			},
		},
		roles: map[partnerships.Role]string{
			partnerships.GlobalAdmin:        "Global administrator",
			partnerships.BillingAdmin:       "Billing administrator",
			partnerships.HelpdeskAdmin:      "Helpdesk administrator",
			partnerships.User:               "User",
			partnerships.UserAccount:        "User account",
			partnerships.PurchaseVisibility: "Purchase visibility",
			partnerships.ApplicationAdmin:   "Application administrator",
		},
		date: func(t time.Time) string {
			return t.UTC().Format("Monday, 2 January 2006, 15:04 UTC")
		},
	}
}
