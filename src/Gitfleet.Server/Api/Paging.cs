using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Gitfleet.Server.Api;

/// <summary>Mender's page/per_page query parameters and its X-Total-Count and Link response headers.</summary>
public static class Paging
{
    public const int DefaultPerPage = 20;
    public const int MaxPerPage = 500;

    public static (int Page, int PerPage) Read(HttpRequest request, int defaultPerPage = DefaultPerPage)
    {
        ArgumentNullException.ThrowIfNull(request);
        var page = ReadInt(request, "page", 1);
        var perPage = ReadInt(request, "per_page", defaultPerPage);
        if (page < 1)
        {
            throw ApiException.BadRequest("page must be 1 or more");
        }

        if (perPage < 1 || perPage > MaxPerPage)
        {
            throw ApiException.BadRequest($"per_page must be between 1 and {MaxPerPage}");
        }

        return (page, perPage);
    }

    public static void WriteHeaders(HttpContext context, int page, int perPage, long total)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var headers = context.Response.Headers;
        headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
        var links = new List<string> { Link(request, 1, perPage, "first") };
        if (page > 1)
        {
            links.Add(Link(request, page - 1, perPage, "prev"));
        }

        if ((long)page * perPage < total)
        {
            links.Add(Link(request, page + 1, perPage, "next"));
        }

        headers.Link = string.Join(", ", links);
    }

    public static int ReadInt(HttpRequest request, string name, int fallback)
    {
        ArgumentNullException.ThrowIfNull(request);
        var value = request.Query[name].ToString();
        if (value.Length == 0)
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw ApiException.BadRequest($"{name} must be an integer, not '{value}'");
    }

    private static string Link(HttpRequest request, int page, int perPage, string rel)
    {
        var query = request.Query.Where(q => q.Key is not "page" and not "per_page")
            .Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}")
            .Append(string.Create(CultureInfo.InvariantCulture, $"page={page}"))
            .Append(string.Create(CultureInfo.InvariantCulture, $"per_page={perPage}"));
        return $"<{request.Path}?{string.Join('&', query)}>; rel=\"{rel}\"";
    }
}
