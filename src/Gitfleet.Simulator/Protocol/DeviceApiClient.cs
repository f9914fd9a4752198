using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Protocol;

/// <summary>
/// The Mender device API as the 3.4 client speaks it (see docs/simulator.md), plus the few management calls that
/// register simulated devices. Never throws for HTTP or network trouble: every call returns an <see cref="ApiResponse"/>.
/// Only cancellation of <c>cancellationToken</c> throws.
/// </summary>
public sealed class DeviceApiClient
{
    public const string AuthPath = "/api/devices/v1/authentication/auth_requests";
    public const string InventoryPath = "/api/devices/v1/inventory/device/attributes";
    public const string NextPath = "/api/devices/v2/deployments/device/deployments/next";
    public const string NextPathV1 = "/api/devices/v1/deployments/device/deployments/next";
    public const string DeploymentsPath = "/api/devices/v1/deployments/device/deployments/";
    public const string ConfigurationPath = "/api/devices/v1/deviceconfig/configuration";
    public const string DevAuthPath = "/api/management/v2/devauth/devices";
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly HttpClient http;
    private readonly SimulatorCounters? counters;
    private readonly TimeProvider time;
    private readonly Dictionary<string, Uri> fixedPaths = new(StringComparer.Ordinal);

    public DeviceApiClient(HttpClient http)
        : this(http, null, TimeProvider.System)
    {
    }

    internal DeviceApiClient(HttpClient http, SimulatorCounters? counters, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        this.http = http;
        this.counters = counters;
        this.time = time;
        if (http.BaseAddress is { } server)
        {
            // Parsed once: building a Uri per request is a measurable part of a check-in's cost.
            fixedPaths = new[] { NextPath, InventoryPath, ConfigurationPath }.ToDictionary(p => p, p => new Uri(server, p), StringComparer.Ordinal);
        }
    }

    public HttpClient Http => http;

    /// <summary>
    /// The auth request body exactly as the client sends it (<c>{"id_data","tenant_token","pubkey"}</c> and a
    /// newline) and the base64 signature over those bytes for the X-MEN-Signature header.
    /// </summary>
    public static (byte[] Body, string Signature) SignedAuthRequest(string idData)
    {
        using var key = DeviceKeys.Create(idData);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id_data", idData);
            writer.WriteString("tenant_token", "");
            writer.WriteString("pubkey", key.ExportSubjectPublicKeyInfoPem() + "\n");
            writer.WriteEndObject();
        }

        var body = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(body);
        body[^1] = (byte)'\n';
        return (body, Convert.ToBase64String(key.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
    }

    /// <summary>POST auth_requests; 200 carries the token as the whole body, 401 means pending or rejected.</summary>
    public Task<ApiResponse> AuthenticateAsync(string idData, CancellationToken cancellationToken)
    {
        var (body, signature) = SignedAuthRequest(idData);
        return SendAsync(HttpMethod.Post, AuthPath, null, body, readBody: true, checkIn: false, request => request.Headers.Add("X-MEN-Signature", signature), cancellationToken);
    }

    /// <summary>The v2 check-in (POST next with device_provides): 204 nothing to do, 200 an offer (read).</summary>
    public Task<ApiResponse> CheckInAsync(string? token, byte[] nextBody, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, NextPath, token, nextBody, readBody: true, checkIn: true, null, cancellationToken);

    /// <summary>A device call with the bearer token and an optional JSON body.</summary>
    public Task<ApiResponse> SendAsync(HttpMethod method, string path, string? token, byte[]? json, bool readBody, CancellationToken cancellationToken) =>
        SendAsync(method, path, token, json, readBody, checkIn: false, null, cancellationToken);

    /// <summary>
    /// Downloads <paramref name="uri"/> from byte <paramref name="offset"/> (HTTP Range), feeding <paramref name="hash"/>,
    /// and stops after <paramref name="stopAfter"/> bytes when given (a dropped connection). No Authorization header,
    /// as the client sends none.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(string uri, long offset, long? stopAfter, IncrementalHash hash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hash);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        var started = Stopwatch.GetTimestamp();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long read = 0;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            Observe(started, (int)response.StatusCode, checkIn: false);
            var status = (int)response.StatusCode;
            if (status is not (200 or 206))
            {
                return new DownloadResult(status, 0, Complete: false, Restarted: false);
            }

            var restarted = offset > 0 && (status == 200 || response.Content.Headers.ContentRange?.From != offset);
            if (restarted)
            {
                hash.GetHashAndReset();
                if (status == 206)
                {
                    return new DownloadResult(status, 0, Complete: false, Restarted: true);
                }
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (true)
                {
                    var want = stopAfter is { } limit ? (int)Math.Min(buffer.Length, limit - read) : buffer.Length;
                    if (want <= 0)
                    {
                        return new DownloadResult(status, read, Complete: false, restarted);
                    }

                    var n = await body.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return new DownloadResult(status, read, Complete: true, restarted);
                    }

                    hash.AppendData(buffer, 0, n);
                    read += n;
                }
            }
        }
        catch (Exception e) when (IsNetworkFailure(e, cancellationToken))
        {
            counters?.Count(SimulatorEvent.NetworkErrors);
            return new DownloadResult(0, read, Complete: false, Restarted: false, e.Message);
        }
        finally
        {
            counters?.Count(SimulatorEvent.DownloadedBytes, read);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Management: preauthorize identity + key (201, or 409 when the identity is known already).</summary>
    public Task<ApiResponse> PreauthorizeAsync(string managementToken, IReadOnlyDictionary<string, string> identity, string publicKeyPem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var body = InstalledState.Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("identity_data");
            foreach (var (name, value) in identity)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
            writer.WriteString("pubkey", publicKeyPem);
            writer.WriteEndObject();
        });
        return SendAsync(HttpMethod.Post, DevAuthPath, managementToken, body, readBody: false, cancellationToken);
    }

    private async Task<ApiResponse> SendAsync(
        HttpMethod method, string path, string? token, byte[]? json, bool readBody, bool checkIn, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        using var request = fixedPaths.TryGetValue(path, out var uri) ? new HttpRequestMessage(method, uri) : new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = JsonType;

            // The 3.4 client streams the bodies of authenticated requests: chunked, without Content-Length.
            request.Headers.TransferEncodingChunked = token is not null && path.StartsWith("/api/devices/", StringComparison.Ordinal);
        }

        configure?.Invoke(request);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var body = readBody || status >= 500 ? await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false) : null;
            Observe(started, status, checkIn);
            return new ApiResponse(status, body);
        }
        catch (Exception e) when (IsNetworkFailure(e, cancellationToken))
        {
            counters?.Count(SimulatorEvent.NetworkErrors);
            return ApiResponse.Failed(e.Message);
        }
    }

    private void Observe(long started, int status, bool checkIn)
    {
        if (counters is null)
        {
            return;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        counters.Count(SimulatorEvent.Requests);
        counters.RequestLatency.Record(elapsed);
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        counters.Requests.Mark(second);
        if (checkIn)
        {
            counters.CheckInLatency.Record(elapsed);
            counters.CheckIns.Mark(second);
        }

        if (status >= 500)
        {
            counters.Count(SimulatorEvent.ServerErrors);
        }
    }

    private static bool IsNetworkFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException or WebException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);
}

/// <summary>How a download went: <see cref="Status"/> 0 on a network failure; <see cref="Restarted"/> when a resume was answered from the start.</summary>
public readonly record struct DownloadResult(int Status, long BytesRead, bool Complete, bool Restarted, string? Error = null);
