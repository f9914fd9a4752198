using Gitfleet.Server.Api;
using Gitfleet.Server.Dashboard.Components;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Reconcile;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Core.Facts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// The web dashboard under /ui on the server's own port: Razor components rendered on the server (static SSR, no
/// WebAssembly, no circuit), plain HTML forms for the few actions (each with an antiforgery token), and one small
/// script for the live stages view (server-sent events). Every asset is embedded in the server.
/// </summary>
internal static class DashboardApi
{
    public const string Base = "/ui";

    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "gitfleet_csrf";
            o.Cookie.Path = Base;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__csrf";
        });
        services.TryAddSingleton<CommitLinks>();
        services.TryAddSingleton(sp => (IDashboardStore)sp.GetRequiredService<IFleetStore>());
        services.TryAddSingleton<StageFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<StageFeed>());
        services.TryAddSingleton<BranchMembershipSync>();
        services.AddHostedService(sp => sp.GetRequiredService<BranchMembershipSync>());
        return services;
    }

    public static void MapDashboard(this WebApplication app)
    {
        app.UseMiddleware<DashboardMiddleware>();
        app.UseAntiforgery();
        app.MapGet("/", () => Results.Redirect(Base + "/"));
        app.MapGet(Base + "/assets/{name}", DashboardAssets.Serve);
        app.MapGet(Base + "/events/stages", (HttpContext context, StageFeed feed) => feed.StreamAsync(context));
        // Razor component endpoints accept POST too (for their own forms); the action endpoints come first.
        app.MapPost(Base + "/login", LoginAsync).WithOrder(-1).RequireRateLimiting(Api.Throttling.RateLimits.LoginPolicy);
        app.MapPost(Base + "/logout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
            if (context.Features.Get<ManagementCaller>() is { TokenId: { } session, ExpiresAt: { } expires })
            {
                // The session token is revoked, as useradm's logout does: a copied cookie stops working too.
                var store = context.RequestServices.GetRequiredService<IFleetStore>();
                var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                await store.RevokeTokenAsync(session, expires, now, context.RequestAborted).ConfigureAwait(false);
                context.RequestServices.GetRequiredService<TokenRevocations>().Revoke(session, expires, now);
            }

            DashboardSession.End(context);
            return Results.Redirect(Base + "/login?signed_out=1");
        }).WithOrder(-1);
        app.MapPost(Base + "/rollouts/{branch}/{action}", ControlAsync).WithOrder(-1);
        app.MapPost(Base + "/admission/{id}/{authSet}/{decision}", AdmitAsync).WithOrder(-1);
        app.MapRazorComponents<App>();
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IAntiforgery antiforgery, IFleetStore store, TokenService tokens, ServerOptions options, CancellationToken cancellationToken)
    {
        await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
        var form = await context.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        var email = form["email"].ToString();
        context.Items[Api.Audit.AuditTrail.ActorItem] = email.Length is > 0 and <= 256 ? email : "anonymous";
        var password = form["password"].ToString();
        var returnUrl = LocalPath(form["return"].ToString());
        var user = email.Length is 0 or > 256 ? null : await store.FindUserAsync(email, cancellationToken).ConfigureAwait(false);
        if (user is null || !PasswordHasher.Verify(password, user.PasswordHash))
        {
            context.Items[Api.Audit.AuditTrail.ResultItem] = "refused";
            return Results.Redirect($"{Base}/login?failed=1&return={Uri.EscapeDataString(returnUrl)}");
        }

        DashboardSession.Start(context, tokens.IssueUser(user.Id, options.UserTokenLifetime, user.Role), options.UserTokenLifetime);
        return Results.Redirect(returnUrl);
    }

    private static async Task<IResult> ControlAsync(string branch, string action, HttpContext context, IAntiforgery antiforgery, RolloutEngine engine, CancellationToken cancellationToken)
    {
        await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
        var control = action switch
        {
            "pause" => RolloutControl.Pause,
            "resume" => RolloutControl.Resume,
            "abort" => RolloutControl.Abort,
            _ => throw ApiException.NotFound($"no such rollout action: {action}"),
        };
        var page = $"{Base}/rollouts/{Uri.EscapeDataString(branch)}";
        if (await DashboardAccess.DenyControlAsync(context, branch).ConfigureAwait(false) is { } denied)
        {
            throw ApiException.Forbidden(denied);
        }

        try
        {
            await engine.ControlAsync(branch, control, cancellationToken).ConfigureAwait(false);
            return Results.Redirect($"{page}?done={action}");
        }
        catch (Domain.DomainException e) when (e.Error is Domain.DomainError.NotFound or Domain.DomainError.Conflict)
        {
            context.Items[Api.Audit.AuditTrail.ResultItem] = "failed";
            return Results.Redirect($"{page}?error={Uri.EscapeDataString(e.Message)}");
        }
    }

    private static async Task<IResult> AdmitAsync(
        string id, string authSet, string decision, HttpContext context, IAntiforgery antiforgery, Devices.DeviceService devices, CancellationToken cancellationToken)
    {
        await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
        var status = decision switch
        {
            "accept" => DeviceStatus.Accepted,
            "reject" => DeviceStatus.Rejected,
            _ => throw ApiException.NotFound($"no such admission decision: {decision}"),
        };
        if (DashboardAccess.DenyAdmission(context) is { } denied
            || await context.RequestServices.GetRequiredService<Api.Authorization.OperatorScopeRules>().DenyDeviceAsync(context.Features.Get<ManagementCaller>()!, id, cancellationToken).ConfigureAwait(false) is { } scoped
                && (denied = "You may not admit this device: " + scoped + ".") is not null)
        {
            throw ApiException.Forbidden(denied);
        }

        try
        {
            await devices.SetAuthSetStatusAsync(id, authSet, status, cancellationToken).ConfigureAwait(false);
        }
        catch (Domain.DomainException e) when (e.Error is Domain.DomainError.NotFound)
        {
            context.Items[Api.Audit.AuditTrail.ResultItem] = "failed";
            return Results.Redirect($"{Base}/admission?error={Uri.EscapeDataString($"device {id} or its auth set {authSet} is unknown")}");
        }

        return Results.Redirect($"{Base}/admission?done={decision}&device={Uri.EscapeDataString(id)}");
    }

    /// <summary>A return address inside the dashboard (never another site: an open redirect would help phishing).</summary>
    public static string LocalPath(string? path) =>
        path is { Length: > 0 } p && p.StartsWith(Base + "/", StringComparison.Ordinal) && !p.StartsWith("//", StringComparison.Ordinal) && !p.Contains('\\', StringComparison.Ordinal)
            ? p : Base + "/";
}
