"""The desktop UI (the only package importing Qt). `app.run_app` opens the live window."""
