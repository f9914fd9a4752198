using Gitfleet.Server.Artifacts;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Gitfleet.Server.Api.Management;

/// <summary>Mender's multipart artifact upload (fields size, description, artifact), read at the edge; the file streams to the artifact service.</summary>
internal static class ArtifactUpload
{
    public static async Task<ArtifactRecord> ReadAsync(HttpRequest request, ServerOptions options, ArtifactService artifacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw ApiException.BadRequest("expected multipart/form-data with fields 'description', 'size' and 'artifact'");
        }

        var description = "";
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = options.MaxArtifactBytes };
        while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
            if (name == "artifact")
            {
                return await artifacts.UploadAsync(section.Body, description, cancellationToken).ConfigureAwait(false);
            }

            using var text = new StreamReader(section.Body);
            var value = await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            if (name == "description")
            {
                WellFormedText.CheckString(value, "the form field 'description'");
                description = value;
            }
        }

        throw ApiException.BadRequest("the upload has no 'artifact' file part");
    }
}
