"""Chapter 6, observed at run time: rules over what ``dockready verify`` saw a real
container do (``verify.rehearse.Observation``). ``check`` does not run them."""
