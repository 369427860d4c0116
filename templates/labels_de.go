package templates

import (
	"fmt"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

func german() *labels {
	return &labels{
		types: map[partnerships.RelationshipType]typeText{
			partnerships.Reseller: {
				Label:       "Reseller",
				Phrase:      "als Reseller",
				Description: "Der Partner verkauft Produkte und Dienste an Ihre Organisation und erhält keine Administratorrollen in Ihrem Mandanten.",
			},
			partnerships.DelegatedAdmin: {
				Label:       "Delegierter Administrator",
				Phrase:      "als delegierter Administrator",
				Description: "Der Partner verwaltet Produkte und Dienste für Ihre Organisation als globaler Administrator in Ihrem Mandanten: Er kann Benutzer anlegen, Lizenzen zuweisen und Kennwörter zurücksetzen.",
			},
			partnerships.ResellerDelegatedAdmin: {
				Label:       "Reseller und delegierter Administrator",
				Phrase:      "als Reseller und delegierter Administrator",
				Description: "Der Partner verkauft Produkte und Dienste an Ihre Organisation und verwaltet sie als globaler Administrator in Ihrem Mandanten.",
			},
			partnerships.PartnerAccount: {
				Label:       "Partner mit Benutzerkonto",
				Phrase:      "mit Benutzerkonto",
				Description: "Ihre Organisation gibt dem Partner ein Benutzerkonto in Ihrem Mandanten, damit er in Ihrem Auftrag mit Ihren Diensten arbeiten kann.",
			},
			partnerships.Advisor: {
				Label:       "Berater",
				Phrase:      "als Berater",
				Description: "Der Partner kann als Helpdesk-Administrator Kennwörter zurücksetzen und Supportfälle für Ihre Organisation bearbeiten.",
			},
			partnerships.MPSA: {
				Label:       "MPSA-Partner",
				Phrase:      "als MPSA-Partner",
				Description: "Partner, mit denen Ihre Organisation über das Programm Microsoft Products and Services Agreement (MPSA) zusammenarbeitet, dürfen die Einkäufe der jeweils anderen sehen.",
			},
			partnerships.LineOfBusiness: {
				Label:       "Partner für Branchenanwendungen",
				Phrase:      "für Branchenanwendungen",
				Description: "Der Partner entwickelt, übermittelt und verwaltet als Anwendungsadministrator Branchenanwendungen für Ihre Organisation.",
			},
		},
		roles: map[partnerships.Role]string{
			partnerships.GlobalAdmin:        "Globaler Administrator",
			partnerships.BillingAdmin:       "Abrechnungsadministrator",
			partnerships.HelpdeskAdmin:      "Helpdesk-Administrator",
			partnerships.User:               "Benutzer",
			partnerships.UserAccount:        "Benutzerkonto",
			partnerships.PurchaseVisibility: "Einsicht in Einkäufe",
			partnerships.ApplicationAdmin:   "Anwendungsadministrator",
		},
		date: germanDate,
	}
}

// germanDate formats t as "Montag, 16. März 2026, 17:00 Uhr (UTC)".
func germanDate(t time.Time) string {
	weekdays := [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	months := [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
	t = t.UTC()
	return fmt.Sprintf("%s, %d. %s %d, %02d:%02d Uhr (UTC)",
		weekdays[t.Weekday()], t.Day(), months[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}
