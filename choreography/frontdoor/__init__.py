"""The front door: what a visitor who is not signed in sees (choreo explained, a demo
choreography in the practice player, sign up / log in), and the demo choreography it plays."""
