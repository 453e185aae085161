# The process rows are viewflow's; reviewers work in /revision/, not the admin.
