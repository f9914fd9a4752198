namespace Gitfleet.Core.Fleet;

/// <summary>A configuration template from <c>templates/</c>: Handlebars producing a JSON object.</summary>
public sealed record ConfigurationTemplate(string Name, string File, string Source);
