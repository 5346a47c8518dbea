"""Pure, vectorised domain logic (no IO, no clock, no environment): ledger, sense, plan, health, comply, channel."""
