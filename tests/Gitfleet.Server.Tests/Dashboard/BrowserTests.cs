using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Gitfleet.Core.Rollouts;
using Microsoft.Playwright;

namespace Gitfleet.Server.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Debian's chromium through Playwright) against a real server and simulated
/// devices: sign in and watch a rollout move without reloading, find a failed device by its reason and read its
/// history, pause and resume, a read-only user without buttons. A few scenarios on one shared fleet: browsers are the suite's heaviest part.
/// </summary>
// Also on PostgreSQL: there the leader's engine memory is refreshed from the change feed, and the device and rollout
// pages must read what that memory lacks from the store (as a follower always does).
[Trait(Support.PostgresSubset.Trait, Support.PostgresSubset.Value)]
public sealed partial class BrowserTests(BrowserFleet fixture) : IClassFixture<BrowserFleet>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Soon = new() { Timeout = 15_000 };

    [Fact]
    public async Task An_operator_signs_in_and_watches_the_rollout_progress_without_reloading()
    {
        var page = await fixture.SignedInPageAsync();
        var card = page.Locator(".card[data-branch=production]");
        await Assertions.Expect(card).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-live]")).ToHaveAttributeAsync("data-connected", "true", new() { Timeout = 15_000 });
        await page.EvaluateAsync("() => { window.__noReload = 'still the same page'; }");
        var before = int.Parse(await card.Locator("[data-field=converged]").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);

        await fixture.StepAsync();
        var status = await fixture.Fleet.StatusAsync("production");
        status.Devices.Converged.ShouldBeGreaterThan(before, "a step of the rollout converges devices");
        await Assertions.Expect(card.Locator("[data-field=converged]")).ToHaveTextAsync(status.Devices.Converged.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 15_000 });
        await Assertions.Expect(card.Locator("[data-field=total]")).ToHaveTextAsync(status.Devices.Total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (await page.EvaluateAsync<string>("() => window.__noReload")).ShouldBe("still the same page", "the numbers changed without a reload");
        (await card.Locator("svg[data-chart] polyline.converged").GetAttributeAsync("points")).ShouldNotBeNullOrEmpty();
        await BrowserFleet.ScreenshotAsync(page, "stages");

        // On a phone: the same page in one column, the navigation still reachable from the keyboard.
        var phone = await fixture.SignedInPageAsync(viewport: new ViewportSize { Width = 390, Height = 844 });
        await Assertions.Expect(phone.Locator(".card[data-branch=production]")).ToBeVisibleAsync();
        await phone.Keyboard.PressAsync("Tab");
        (await phone.EvaluateAsync<string>("() => document.activeElement.textContent")).ShouldBe("Skip to the content");
        await BrowserFleet.ScreenshotAsync(phone, "stages-phone");
        await page.Context.CloseAsync();
        await phone.Context.CloseAsync();
    }

    [Fact]
    public async Task An_operator_finds_a_failed_device_by_its_reason_and_opens_its_history()
    {
        await fixture.EnsureFailuresAsync();
        var page = await fixture.SignedInPageAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Devices", Exact = true }).ClickAsync();
        await page.GetByLabel("Search").FillAsync("reason:\"health check\"");
        await page.GetByLabel("Search").PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync(Matches());
        var rows = page.Locator("table.devices tbody tr");
        (await rows.CountAsync()).ShouldBeGreaterThan(0);
        await Assertions.Expect(rows.First.Locator(".state")).ToHaveTextAsync("failed");
        await BrowserFleet.ScreenshotAsync(page, "devices");

        await rows.First.Locator("a").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-role=failure-reason]")).ToContainTextAsync("health check of image-2 failed");
        var failed = page.Locator("tr[data-deployment]").Filter(new() { HasText = "OS image" });
        await Assertions.Expect(failed.First).ToContainTextAsync("failure");
        var commit = fixture.Fleet.Repository.Git("rev-parse", "production").Trim();
        await Assertions.Expect(failed.First).ToContainTextAsync(commit[..12]);
        await Assertions.Expect(failed.First).ToContainTextAsync("Release image-2 to production");
        (await page.ContentAsync()).ShouldNotContain(Support.ReconcileHarness.AppToken);
        await BrowserFleet.ScreenshotAsync(page, "device");

        // The rollout page groups the same failure with the device.
        await page.GotoAsync("/ui/rollouts/production");
        var group = page.Locator("article.failure").First;
        await Assertions.Expect(group).ToContainTextAsync("health-check");
        await Assertions.Expect(group).ToContainTextAsync("health check of image-2 failed");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_operator_pauses_and_resumes_the_rollout()
    {
        var page = await fixture.SignedInPageAsync();
        await page.GotoAsync("/ui/rollouts/production");
        var phase = (await fixture.Fleet.StatusAsync("production")).Rollout!.Phase;
        phase.ShouldBeOneOf(RolloutPhase.Progressing, RolloutPhase.Soaking);
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Paused");
        (await fixture.Fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Paused);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeDisabledAsync();
        await BrowserFleet.ScreenshotAsync(page, "rollout");

        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Resumed");
        (await fixture.Fleet.StatusAsync("production")).Rollout!.Phase.ShouldNotBe(RolloutPhase.Paused);

        await page.GotoAsync("/ui/admission");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Accept", Exact = false }).First).ToBeVisibleAsync(Soon);
        await BrowserFleet.ScreenshotAsync(page, "admission");
        await page.GotoAsync("/ui/artifacts");
        await Assertions.Expect(page.Locator("table").First).ToContainTextAsync("image-2");
        await Assertions.Expect(page.Locator("table").First).ToContainTextAsync("production");
        await BrowserFleet.ScreenshotAsync(page, "artifacts");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_read_only_user_sees_the_rollout_but_has_no_button_to_press()
    {
        using (var created = await fixture.Fleet.Admin.PostAsJsonAsync("/api/management/v1/useradm/users",
            new { email = BrowserFleet.ViewerEmail, password = BrowserFleet.ViewerPassword, role = "viewer" }))
        {
            created.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);
        }

        var page = await fixture.SignedInPageAsync(BrowserFleet.ViewerEmail, BrowserFleet.ViewerPassword);
        await page.GotoAsync("/ui/rollouts/production");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rollout of production" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-role=read-only]")).ToContainTextAsync("viewer role");
        (await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).CountAsync()).ShouldBe(0);
        (await page.GetByRole(AriaRole.Button, new() { Name = "Abort" }).CountAsync()).ShouldBe(0);
        await page.GotoAsync("/ui/admission");
        (await page.GetByRole(AriaRole.Button, new() { Name = "Accept", Exact = false }).CountAsync()).ShouldBe(0);
        (await page.GetByRole(AriaRole.Link, new() { Name = "Audit" }).CountAsync()).ShouldBe(0, "the audit log is for admins");
        await page.Context.CloseAsync();
    }

    private static Regex Matches() => DeviceCount();

    [GeneratedRegex(@"\d+ devices? match")]
    private static partial Regex DeviceCount();
}
