using Gitfleet.Core.Selectors;
using Gitfleet.Core.Variables;

namespace Gitfleet.Core.Fleet;

/// <summary>
/// A label-selected overlay (<c>overlays/*.yml</c>), like Rancher Fleet's targetCustomizations: its variables
/// apply to every device whose labels (and groups) match the selector. Overlays apply after group variables and
/// before host variables, in file-name order.
/// </summary>
public sealed record Overlay(string Name, string File, Selector Selector, VariableSet Vars);
