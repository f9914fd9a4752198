using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Api.Redaction;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Reconcile;
using Gitfleet.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Api.Management;

/// <summary>
/// Gitfleet's reconcile API (docs/reconcile.md): a branch's target (what `gitfleet apply` and the git watcher
/// submit), branch statuses, rollout control and the promotion gate.
/// </summary>
internal static class BranchEndpoints
{
    public const string Base = "/api/management/v1/gitfleet/branches";

    public static void MapBranchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Base + "/{branch}/target", SubmitAsync);
        app.MapGet(Base, async (RolloutEngine engine, CancellationToken cancellationToken) =>
        {
            var redactor = await SecretRedactor.CurrentAsync(engine, cancellationToken).ConfigureAwait(false);
            return Results.Json(engine.Statuses().Select(redactor.Status).ToList(), ReconcileJson.Context.IReadOnlyListBranchStatus);
        });
        app.MapGet(Base + "/{branch}", async (string branch, RolloutEngine engine, CancellationToken cancellationToken) =>
        {
            var redactor = await SecretRedactor.CurrentAsync(engine, cancellationToken).ConfigureAwait(false);
            return Results.Json(redactor.Status(await StatusAsync(engine, branch, cancellationToken).ConfigureAwait(false)), ReconcileJson.Context.BranchStatus);
        });
        app.MapPost(Base + "/{branch}/rollout/pause", (string branch, RolloutEngine engine, CancellationToken cancellationToken) => ControlAsync(engine, branch, RolloutControl.Pause, cancellationToken))
            .RequireRole(Roles.Operator);
        app.MapPost(Base + "/{branch}/rollout/resume", (string branch, RolloutEngine engine, CancellationToken cancellationToken) => ControlAsync(engine, branch, RolloutControl.Resume, cancellationToken))
            .RequireRole(Roles.Operator);
        app.MapPost(Base + "/{branch}/rollout/abort", (string branch, RolloutEngine engine, CancellationToken cancellationToken) => ControlAsync(engine, branch, RolloutControl.Abort, cancellationToken))
            .RequireRole(Roles.Operator);
        app.MapGet(Base + "/{branch}/gate", GateAsync);
    }

    private static async Task<IResult> SubmitAsync(string branch, HttpContext context, RolloutEngine engine, ServerOptions options, CancellationToken cancellationToken)
    {
        branch = BranchName(branch);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxTargetBytes;
        }

        var encoding = context.Request.Headers.ContentEncoding.ToString().Trim();
        if (encoding.Length > 0 && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(415, $"Content-Encoding '{encoding}' is not supported; send gzip or no encoding");
        }

        BranchTarget? target;
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        await using (var decoded = gzip ? new GZipStream(context.Request.Body, CompressionMode.Decompress, leaveOpen: true) : null)
        {
            await using var limited = new LimitedStream(decoded ?? context.Request.Body, options.MaxTargetBytes);
            try
            {
                target = await JsonSerializer.DeserializeAsync(limited, ReconcileJson.Context.BranchTarget, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                throw ApiException.BadRequest("the body is not valid gzip data");
            }
            catch (JsonException e)
            {
                // The message names the position, never a value (targets carry secrets).
                throw ApiException.BadRequest($"malformed target JSON at {e.Path ?? "$"} (line {e.LineNumber + 1}, position {e.BytePositionInLine + 1})");
            }
        }

        if (target is null)
        {
            throw ApiException.BadRequest("the body is null; a gitfleet.target/v1 document expected");
        }

        var result = await engine.SubmitAsync(branch, target, cancellationToken).ConfigureAwait(false);
        if (result.Reverted)
        {
            throw ApiException.Conflict($"commit {result.Commit} was reverted on '{branch}' by an abort rule and is not rolled out again; push a new commit (gitfleet revert --branch {branch} prepares one)");
        }

        return Results.Json(result, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ControlAsync(RolloutEngine engine, string branch, RolloutControl control, CancellationToken cancellationToken)
    {
        var status = await engine.ControlAsync(BranchName(branch), control, cancellationToken).ConfigureAwait(false);
        var redactor = await SecretRedactor.CurrentAsync(engine, cancellationToken).ConfigureAwait(false);
        return Results.Json(redactor.Status(status), ReconcileJson.Context.BranchStatus);
    }

    private static async Task<IResult> GateAsync(string branch, HttpContext context, RolloutEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var commit = query["commit"].ToString() is { Length: > 0 } sha ? sha : null;
        var minText = query["min_success"].ToString().TrimEnd('%');
        var minSuccess = 100.0;
        if (minText.Length > 0 && (!double.TryParse(minText, NumberStyles.Float, CultureInfo.InvariantCulture, out minSuccess) || minSuccess is not (>= 0 and <= 100)))
        {
            throw ApiException.BadRequest($"min_success must be a percentage from 0 to 100, not '{query["min_success"]}'");
        }

        var soak = TimeSpan.Zero;
        if (query["soak"].ToString() is { Length: > 0 } soakText && !DurationText.TryParse(soakText, out soak, out var problem))
        {
            throw ApiException.BadRequest($"soak {problem}, not '{(soakText.Length > 64 ? soakText[..64] + "…" : soakText)}'");
        }

        var status = await StatusAsync(engine, branch, cancellationToken).ConfigureAwait(false);
        var redactor = await SecretRedactor.CurrentAsync(engine, cancellationToken).ConfigureAwait(false);
        var result = redactor.Gate(Gate.Evaluate(status, commit, minSuccess, soak, time.GetUtcNow()));
        context.RequestServices.GetRequiredService<Notifications.EventWatcher>().GateEvaluated(status.Branch, status.AppliedCommit?.Sha, result);
        return Results.Json(result, ReconcileJson.Context.GateResult);
    }

    private static async Task<BranchStatus> StatusAsync(RolloutEngine engine, string branch, CancellationToken cancellationToken)
    {
        await engine.LoadAsync(cancellationToken).ConfigureAwait(false);
        return engine.Status(BranchName(branch)) ?? throw ApiException.NotFound($"branch '{branch}' is not reconciled by this server (no target was applied and it is not watched)");
    }

    /// <summary>A branch name from the path (%2F allowed for names with slashes); git's rules keep it off option-like and odd names.</summary>
    private static string BranchName(string raw)
    {
        var name = Uri.UnescapeDataString(raw);
        if (name.Length is 0 or > 255 || name.StartsWith('-') || name.StartsWith('/') || name.EndsWith('/') || name.Contains("..", StringComparison.Ordinal)
            || name.Any(c => char.IsControl(c) || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\'))
        {
            throw ApiException.BadRequest($"'{name}' is not a valid branch name");
        }

        return name;
    }
}
