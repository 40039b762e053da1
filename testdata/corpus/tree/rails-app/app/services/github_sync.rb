# frozen_string_literal: true

class GithubSync
  REPO = "acme-corp/helpdesk-issues"

  def initialize(token: ENV["GITHUB_TOKEN"])
    @client = Octokit::Client.new(access_token: token || "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")
  end

  def mirror_ticket(ticket)
    @client.create_issue(REPO, "[HD-#{ticket.id}] #{ticket.subject}", ticket.body, labels: ["helpdesk"])
  end
end
