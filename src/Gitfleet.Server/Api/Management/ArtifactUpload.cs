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

            // Other fields (size) are not used: the reader skips them without holding them. The description is read
            // only up to one character past its limit, so a huge field cannot fill memory.
            if (name == "description")
            {
                using var text = new StreamReader(section.Body);
                var buffer = new char[ArtifactService.MaxDescriptionLength + 1];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await text.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }

                var value = new string(buffer, 0, length);
                WellFormedText.CheckString(value, "the form field 'description'");
                description = length > ArtifactService.MaxDescriptionLength ? throw ApiException.BadRequest($"description is longer than {ArtifactService.MaxDescriptionLength} characters") : value;
            }
        }

        throw ApiException.BadRequest("the upload has no 'artifact' file part");
    }
}
