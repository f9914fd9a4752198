using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Notifications;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Notifications;

/// <summary>Outbound webhooks against a real receiver on loopback: signed events, a Slack payload, a receiver that is down and comes back.</summary>
public sealed class NotificationTests
{
    private const string Secret = "notification-secret-for-tests";

    [Fact]
    public async Task Events_reach_a_real_receiver_signed_and_in_Slack_form_and_a_receiver_that_was_down_gets_them_when_it_is_back()
    {
        await using var receiver = Receiver.OnFreePort();
        await using var fleet = await ReconcileHarness.StartAsync(o => o with
        {
            NotificationWebhooks =
            [
                new NotificationEndpoint("ops", receiver.Url("hooks/ops"), Secret, [], NotificationEndpoint.JsonFormat),
                new NotificationEndpoint("chat", receiver.Url("hooks/chat"), null, [NotificationEvent.RolloutPaused], NotificationEndpoint.SlackFormat),
            ],
        });
        var devices = new List<FleetDevice> { await fleet.DeviceAsync(), await fleet.DeviceAsync() };
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-2");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");
        var watcher = fleet.Server.Server.Services.GetService(typeof(EventWatcher)) as EventWatcher;
        await watcher!.CheckAsync(CancellationToken.None);

        // The receiver is down: the pause is recorded, attempted, and kept for later.
        using (var pause = await fleet.Admin.PostAsync("/api/management/v1/gitfleet/branches/production/rollout/pause", null))
        {
            pause.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await watcher.CheckAsync(CancellationToken.None);
        var failed = await EventuallyAsync(fleet, d => d.Any(x => x.GetProperty("event").GetString() == NotificationEvent.RolloutPaused && x.GetProperty("attempts").GetInt32() >= 1));
        var attempt = failed.First(x => x.GetProperty("endpoint").GetString() == "ops" && x.GetProperty("event").GetString() == NotificationEvent.RolloutPaused);
        attempt.GetProperty("status").GetString().ShouldBe("pending");
        attempt.GetProperty("last_error").GetString()!.ShouldContain("cannot connect to 127.0.0.1");
        receiver.Received.ShouldBeEmpty();

        // It comes back; the retry is due after the backoff on the server's clock.
        await receiver.StartAsync();
        fleet.Time.Advance(NotificationDispatcher.Backoff(1) + TimeSpan.FromSeconds(1));
        var delivered = await EventuallyAsync(fleet, d => d.Where(x => x.GetProperty("event").GetString() == NotificationEvent.RolloutPaused).All(x => x.GetProperty("status").GetString() == "delivered"));
        delivered.Count(x => x.GetProperty("event").GetString() == NotificationEvent.RolloutPaused).ShouldBe(2, "one per endpoint that wants it");

        var ops = receiver.Received.Where(r => r.Path == "hooks/ops").ToList();
        var paused = ops.Single(r => r.Headers["X-Gitfleet-Event"] == NotificationEvent.RolloutPaused);
        paused.Headers["X-Gitfleet-Signature-256"].ShouldBe("sha256=" + NotificationDispatcher.Sign(Secret, paused.Body));
        using (var body = JsonDocument.Parse(paused.Body))
        {
            body.RootElement.GetProperty("type").GetString().ShouldBe(NotificationEvent.RolloutPaused);
            body.RootElement.GetProperty("data").GetProperty("branch").GetString().ShouldBe("production");
            body.RootElement.GetProperty("data").GetProperty("reason").GetString()!.ShouldContain("paused by an operator");
            body.RootElement.GetProperty("id").GetString().ShouldBe(paused.Headers["X-Gitfleet-Delivery"]);
        }

        ops.ShouldContain(r => r.Headers["X-Gitfleet-Event"] == NotificationEvent.RolloutPhaseChanged && r.Body.Contains("\"phase\":\"paused\"", StringComparison.Ordinal));
        var chat = receiver.Received.Where(r => r.Path == "hooks/chat").ToList();
        chat.Count.ShouldBe(1, "the chat endpoint only wants pauses");
        chat[0].Headers.ContainsKey("X-Gitfleet-Signature-256").ShouldBeFalse("it has no secret");
        using (var slack = JsonDocument.Parse(chat[0].Body))
        {
            slack.RootElement.GetProperty("text").GetString()!.ShouldStartWith("Rollout of production paused");
        }

        // A gate result and a device admission are events too.
        using (var gate = await fleet.Admin.GetAsync("/api/management/v1/gitfleet/branches/production/gate"))
        {
            gate.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await fleet.DeviceAsync();
        await EventuallyAsync(fleet, d => d.Count(x => x.GetProperty("event").GetString() == NotificationEvent.DeviceAdmission && x.GetProperty("status").GetString() == "delivered") >= 2
            && d.Any(x => x.GetProperty("event").GetString() == NotificationEvent.GateEvaluated && x.GetProperty("status").GetString() == "delivered"));
        var admissions = receiver.Received.Where(r => r.Headers["X-Gitfleet-Event"] == NotificationEvent.DeviceAdmission).Select(r => r.Body).ToList();
        admissions.ShouldContain(b => b.Contains("\"status\":\"pending\"", StringComparison.Ordinal));
        admissions.ShouldContain(b => b.Contains("\"status\":\"accepted\"", StringComparison.Ordinal) && b.Contains("\"previous_status\":\"pending\"", StringComparison.Ordinal));
        receiver.Received.ShouldAllBe(r => !r.Body.Contains(ReconcileHarness.AppToken, StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_webhook_settings_are_refused_with_the_reason_and_without_echoing_secrets()
    {
        Should.Throw<ServerSettingsException>(() => NotificationEndpoint.ParseAll("""[{"name": "x", "url": "ftp://hooks.example/abc", "secret": "s3cr3t"}]"""))
            .Message.ShouldBe("notification_webhooks 'x': \"url\" must be an http:// or https:// URL");
        Should.Throw<ServerSettingsException>(() => NotificationEndpoint.ParseAll("""[{"name": "x", "url": "https://h/", "events": ["rollout.exploded"]}]"""))
            .Message.ShouldStartWith("notification_webhooks 'x': unknown event type 'rollout.exploded'");
        Should.Throw<ServerSettingsException>(() => NotificationEndpoint.ParseAll("""{"name": "x"}""")).Message.ShouldContain("must be a JSON array");
        NotificationEndpoint.ParseAll("""[{"name": "chat", "url": "https://hooks.slack.example/T/B/xyz", "format": "slack", "events": ["rollout.paused"]}]""")
            .Single().Format.ShouldBe("slack");
        NotificationDispatcher.Backoff(1).ShouldBe(TimeSpan.FromSeconds(5));
        NotificationDispatcher.Backoff(3).ShouldBe(TimeSpan.FromSeconds(20));
        NotificationDispatcher.Backoff(20).ShouldBe(TimeSpan.FromMinutes(10));
    }

    private static async Task<List<JsonElement>> EventuallyAsync(ReconcileHarness fleet, Func<List<JsonElement>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var list = (await fleet.Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/notifications/deliveries")).EnumerateArray().ToList();
            if (condition(list))
            {
                return list;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new ShouldAssertException("the delivery log did not reach the expected state: " + string.Join("\n", list.Select(e => e.GetRawText())));
            }

            await Task.Delay(200);
        }
    }
}
