// Package jobs holds partnerlink's asynq task types, their typed payloads, the
// handlers that process them and the worker server that runs those handlers.
//
// Queues and task types (as asynqmon shows them):
//
//	queue "mail"   invitation:send   render and send one invitation email
package jobs
