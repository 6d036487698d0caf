"""``dockready init``: generate the files a service needs, from the facts ``check`` reads."""
