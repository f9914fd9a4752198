using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gitfleet.Core.Reconcile;

namespace Gitfleet.Client;

/// <summary>
/// Gitfleet's own endpoints for stages (docs/reconcile.md): submit a branch's target, read branch statuses, control
/// rollouts, evaluate the promotion gate, read a device's traced history. Only on a Gitfleet server: check
/// <see cref="ServerInfo.Supports"/>("branches") first.
/// </summary>
public sealed partial class ManagementClient
{
    private const string Branches = "api/management/v1/gitfleet/branches";

    /// <summary>Submits a branch's target (gzip-compressed: 200,000 devices are tens of MB of JSON).</summary>
    public async Task<TargetSubmission> SubmitTargetAsync(BranchTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            await JsonSerializer.SerializeAsync(gzip, target, ReconcileJson.Context.BranchTarget, cancellationToken).ConfigureAwait(false);
        }

        buffer.Position = 0;
        using var content = new StreamContent(buffer);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await SendAsync(HttpMethod.Post, $"{Branches}/{Uri.EscapeDataString(target.Branch)}/target", content, null, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<TargetSubmission>(response, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<BranchStatus>> GetBranchesAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, Branches, null, null, cancellationToken).ConfigureAwait(false);
        return await ReadReconcileAsync(response, ReconcileJson.Context.IReadOnlyListBranchStatus, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One branch's status, or null when the server knows no such branch.</summary>
    public async Task<BranchStatus?> GetBranchAsync(string branch, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"{Branches}/{Uri.EscapeDataString(branch)}", null, null, cancellationToken, allowFailure: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, HttpMethod.Get, Branches, cancellationToken).ConfigureAwait(false);
        return await ReadReconcileAsync(response, ReconcileJson.Context.BranchStatus, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>pause, resume or abort a branch's rollout; returns the branch's status afterwards.</summary>
    public async Task<BranchStatus> ControlRolloutAsync(string branch, string action, CancellationToken cancellationToken)
    {
        if (action is not ("pause" or "resume" or "abort"))
        {
            throw new ArgumentException($"unknown rollout action '{action}'", nameof(action));
        }

        using var response = await SendAsync(HttpMethod.Post, $"{Branches}/{Uri.EscapeDataString(branch)}/rollout/{action}", null, null, cancellationToken).ConfigureAwait(false);
        return await ReadReconcileAsync(response, ReconcileJson.Context.BranchStatus, cancellationToken).ConfigureAwait(false);
    }

    public async Task<GateResult> GetGateAsync(string branch, string? commit, double minSuccessPercent, TimeSpan soak, CancellationToken cancellationToken)
    {
        var query = $"min_success={minSuccessPercent.ToString(System.Globalization.CultureInfo.InvariantCulture)}&soak={(long)soak.TotalSeconds}s"
            + (commit is null ? "" : $"&commit={Uri.EscapeDataString(commit)}");
        using var response = await SendAsync(HttpMethod.Get, $"{Branches}/{Uri.EscapeDataString(branch)}/gate?{query}", null, null, cancellationToken).ConfigureAwait(false);
        return await ReadReconcileAsync(response, ReconcileJson.Context.GateResult, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The device's deployments, newest first, each with the commit that scheduled it.</summary>
    public async Task<IReadOnlyList<DeviceHistoryEntry>> GetDeviceHistoryAsync(string deviceId, CancellationToken cancellationToken) =>
        await GetAsync<List<DeviceHistoryEntry>>($"api/management/v1/gitfleet/devices/{Uri.EscapeDataString(deviceId)}/history", cancellationToken).ConfigureAwait(false);

    private static async Task<T> ReadReconcileAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false)
                ?? throw new ManagementApiException("the server answered null", (int)response.StatusCode);
        }
        catch (JsonException e)
        {
            throw new ManagementApiException($"the server's answer is not what Gitfleet expects: {e.Message}", (int)response.StatusCode, null, e);
        }
    }
}

/// <summary>The answer to a target submission.</summary>
public sealed record TargetSubmission(string Branch, string Commit, bool Unchanged);

/// <summary>One deployment in a device's history, with the git change that scheduled it (secret values show as ***).</summary>
public sealed record DeviceHistoryEntry(
    string DeploymentId,
    string Name,
    string Kind,
    string? Image,
    string? ArtifactName,
    string? ConfigurationChecksum,
    IReadOnlyDictionary<string, string>? Configuration,
    string Status,
    int Attempts,
    DateTimeOffset Created,
    DateTimeOffset? Finished,
    DeploymentTrace? Trace);
