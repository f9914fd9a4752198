using System.Collections.Concurrent;
using Gitfleet.Artifacts;

namespace Gitfleet.Simulator.Artifacts;

/// <summary>
/// Artifacts read once per simulator, however many devices install them: the first device offered an artifact has
/// it downloaded and parsed (checksums verified by <see cref="ArtifactReader"/>); every device then downloads the
/// bytes itself and checks them against the SHA-256 found here.
/// </summary>
internal sealed class ArtifactCatalog(HttpClient http)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ArtifactFacts>>> artifacts = new(StringComparer.Ordinal);

    public int Count => artifacts.Count;

    public async Task<ArtifactFacts> GetAsync(string artifactKey, string downloadUri, CancellationToken cancellationToken)
    {
        var entry = artifacts.GetOrAdd(artifactKey, _ => new Lazy<Task<ArtifactFacts>>(() => ReadAsync(downloadUri, cancellationToken)));
        try
        {
            return await entry.Value.ConfigureAwait(false);
        }
        catch
        {
            // A failed read (expired link, aborted deployment, cancellation) is not cached: the next device tries again.
            artifacts.TryRemove(new KeyValuePair<string, Lazy<Task<ArtifactFacts>>>(artifactKey, entry));
            throw;
        }
    }

    private async Task<ArtifactFacts> ReadAsync(string uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"reading the artifact failed: HTTP {(int)response.StatusCode}", null, response.StatusCode);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return ArtifactFacts.From(await ArtifactReader.ReadAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
    }
}
