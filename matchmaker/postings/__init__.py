"""What research results and enterprise needs share on the site: forms and the view set both use."""
