"""cmdesk: one keyboard-driven inbox for community managers."""
