"""The customer's screens: question, follow-up, thank-you. Dumb views: render, emit signals."""
