using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Core.Facts;

namespace Gitfleet.Client;

/// <summary>
/// A client for Mender's management API as Gitfleet's server and Mender's own serve it. <see cref="GetFactsAsync"/>
/// uses Gitfleet's bulk facts endpoint when the server offers it and otherwise assembles facts from devauth,
/// inventory, deviceconfig and deployments, page by page.
/// </summary>
public sealed partial class ManagementClient : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient http;
    private readonly ManagementClientOptions options;
    private string? token;
    private ServerInfo? info;
    private bool infoRead;

    private ManagementClient(ManagementClientOptions options, HttpClient http, string? token)
    {
        this.options = options;
        this.http = http;
        this.token = token;
    }

    /// <summary>Creates the client and logs in with user and password when no token is given.</summary>
    public static async Task<ManagementClient> ConnectAsync(ManagementClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var http = new HttpClient(ServerTrust.CreateHandler(options)) { BaseAddress = options.ServerUrl, Timeout = options.Timeout };
        var client = new ManagementClient(options, http, options.Token);
        try
        {
            if (client.token is null)
            {
                if (options.User is null || options.Password is null)
                {
                    throw new ManagementApiException("give a token, or a user and password, to log in to the management API");
                }

                await client.LoginAsync(options.User, options.Password, cancellationToken).ConfigureAwait(false);
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The Gitfleet server's self-description, or null for a Mender server.</summary>
    public async Task<ServerInfo?> GetServerInfoAsync(CancellationToken cancellationToken)
    {
        if (!infoRead)
        {
            using var response = await SendAsync(HttpMethod.Get, "api/management/v1/gitfleet/info", null, null, cancellationToken, allowFailure: true).ConfigureAwait(false);
            info = response.IsSuccessStatusCode ? await ReadAsync<ServerInfo>(response, cancellationToken).ConfigureAwait(false) : null;
            info = info?.Name == "gitfleet" ? info : null;
            infoRead = true;
        }

        return info;
    }

    public Task<FactsDocument> GetFactsAsync(CancellationToken cancellationToken) => GetFactsAsync(FactsProjection.All, cancellationToken);

    /// <summary>
    /// The facts of every device. Gitfleet's bulk endpoint is read as it arrives (never held whole), keeping what
    /// <paramref name="projection"/> names.
    /// </summary>
    public async Task<FactsDocument> GetFactsAsync(FactsProjection projection, CancellationToken cancellationToken)
    {
        if ((await GetServerInfoAsync(cancellationToken).ConfigureAwait(false))?.Supports("facts") == true)
        {
            using var response = await SendAsync(HttpMethod.Get, "api/management/v1/gitfleet/facts", null, null, cancellationToken).ConfigureAwait(false);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await FactsDocument.ReadAsync(stream, projection, cancellationToken).ConfigureAwait(false);
            }
            catch (FactsFormatException e)
            {
                throw new ManagementApiException($"the server's facts document is invalid: {e.Message}", e);
            }
        }

        return await new MenderFactsAssembler(this, options.PageSize).AssembleAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ArtifactSummary>> ListArtifactsAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<ArtifactSummary>>("api/management/v1/deployments/artifacts", cancellationToken).ConfigureAwait(false);

    /// <summary>Uploads an artifact file (multipart, as mender-cli does); a 409 means the server has it already.</summary>
    public async Task UploadArtifactAsync(string path, string? description, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        await using var file = File.OpenRead(path);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(description ?? ""), "description" },
            { new StringContent(file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size" },
        };
        var content = new StreamContent(file);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "artifact", Path.GetFileName(path));
        using var response = await SendAsync(HttpMethod.Post, "api/management/v1/deployments/artifacts", form, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a deployment (to devices or a group); returns its id. A repeated idempotency key returns the first deployment.</summary>
    public async Task<string> CreateDeploymentAsync(NewDeployment deployment, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var path = deployment.Group is { } group
            ? $"api/management/v1/deployments/deployments/group/{Uri.EscapeDataString(group)}"
            : "api/management/v1/deployments/deployments";
        var body = new Dictionary<string, object?>
        {
            ["name"] = deployment.Name,
            ["artifact_name"] = deployment.ArtifactName,
            ["retries"] = deployment.Retries,
            ["trace"] = deployment.Trace,
        };
        if (deployment.Group is null)
        {
            body["devices"] = deployment.Devices;
        }

        using var response = await SendAsync(HttpMethod.Post, path, JsonContent.Create(body, options: Json), idempotencyKey, cancellationToken).ConfigureAwait(false);
        var location = response.Headers.Location?.ToString() ?? throw new ManagementApiException($"POST /{path}: the server sent no Location header", (int)response.StatusCode);
        return location.TrimEnd('/').Split('/')[^1];
    }

    public async Task<DeploymentSummary> GetDeploymentAsync(string id, CancellationToken cancellationToken) =>
        await GetAsync<DeploymentSummary>($"api/management/v1/deployments/deployments/{Uri.EscapeDataString(id)}", cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyDictionary<string, long>> GetDeploymentStatisticsAsync(string id, CancellationToken cancellationToken) =>
        await GetAsync<Dictionary<string, long>>($"api/management/v1/deployments/deployments/{Uri.EscapeDataString(id)}/statistics", cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<DeviceDeploymentSummary>> ListDeploymentDevicesAsync(string id, CancellationToken cancellationToken) =>
        await GetAsync<List<DeviceDeploymentSummary>>($"api/management/v1/deployments/deployments/{Uri.EscapeDataString(id)}/devices", cancellationToken).ConfigureAwait(false);

    public async Task AbortDeploymentAsync(string id, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Put, $"api/management/v1/deployments/deployments/{Uri.EscapeDataString(id)}/status",
            JsonContent.Create(new { status = "aborted" }), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Aborts every unfinished deployment of one device (Mender: DELETE /deployments/devices/{id}).</summary>
    public async Task AbortDeviceDeploymentsAsync(string deviceId, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Delete, $"api/management/v1/deployments/deployments/devices/{Uri.EscapeDataString(deviceId)}", null, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task PutConfigurationAsync(string deviceId, IReadOnlyDictionary<string, string> configuration, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Put, $"api/management/v1/deviceconfig/configurations/device/{Uri.EscapeDataString(deviceId)}",
            JsonContent.Create(configuration), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deploys the device's configured configuration; returns the deployment id.</summary>
    public async Task<string> DeployConfigurationAsync(string deviceId, DeploymentTrace? trace, int retries, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"api/management/v1/deviceconfig/configurations/device/{Uri.EscapeDataString(deviceId)}/deploy",
            JsonContent.Create(new Dictionary<string, object?> { ["retries"] = retries, ["trace"] = trace }, options: Json), idempotencyKey, cancellationToken).ConfigureAwait(false);
        var answer = await ReadAsync<DeployAnswer>(response, cancellationToken).ConfigureAwait(false);
        return answer.DeploymentId;
    }

    public void Dispose() => http.Dispose();

    internal async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET that answers null on 404.</summary>
    internal async Task<T?> FindAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, null, cancellationToken, allowFailure: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, HttpMethod.Get, path, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task LoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/management/v1/useradm/auth/login");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await TransmitAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, HttpMethod.Post, "api/management/v1/useradm/auth/login", cancellationToken).ConfigureAwait(false);
        var body = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
        token = body.Length > 0 ? body : ReadJwtCookie(response) ?? throw new ManagementApiException("login succeeded but the server returned no token", (int)response.StatusCode);
    }

    private static string? ReadJwtCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).Where(c => c.StartsWith("JWT=", StringComparison.Ordinal)).Select(c => c[4..]).FirstOrDefault()
            : null;

    internal async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string? idempotencyKey, CancellationToken cancellationToken, bool allowFailure = false)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await TransmitAsync(request, cancellationToken).ConfigureAwait(false);
        if (!allowFailure)
        {
            try
            {
                await EnsureSuccessAsync(response, method, path, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }

        return response;
    }

    private async Task<HttpResponseMessage> TransmitAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ManagementApiException($"{request.Method} {options.ServerUrl.GetLeftPart(UriPartial.Authority)}/{request.RequestUri}: {Describe(e)}", null, null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ManagementApiException($"{request.Method} /{request.RequestUri}: no answer within {options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", null, null, e);
        }
    }

    private static string Describe(HttpRequestException e) =>
        e.InnerException is System.Security.Authentication.AuthenticationException
            ? "the server's TLS certificate is not trusted (pass its CA/certificate PEM, or use the insecure option for a throwaway setup)"
            : e.Message;

    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? serverMessage = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                serverMessage = error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText();
            }
        }
        catch (JsonException)
        {
            serverMessage = text.Length > 200 ? text[..200] : text;
        }

        var status = (int)response.StatusCode;
        var suffix = string.IsNullOrWhiteSpace(serverMessage) ? "" : $": {serverMessage}";
        throw new ManagementApiException($"{method} /{path} failed with {status} {response.ReasonPhrase}{suffix}", status, serverMessage);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
                ?? throw new ManagementApiException($"the server answered {(int)response.StatusCode} with an empty body", (int)response.StatusCode);
        }
        catch (JsonException e)
        {
            throw new ManagementApiException($"the server's answer is not the expected JSON: {e.Message}", (int)response.StatusCode, null, e);
        }
    }

    private sealed record DeployAnswer(string DeploymentId);
}
