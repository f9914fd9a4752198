using System.Data;
using System.Data.Common;
using Dapper;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// A parameter value that also sets its engine's type on the parameter: JSON text sent as PostgreSQL's <c>jsonb</c>
/// (a plain string goes as <c>text</c>, which a jsonb column refuses and a jsonb comparison cannot use). Dapper adds it
/// through <see cref="SqlMapper.ICustomQueryParameter"/>; the store's prepared bulk statements call <see cref="Bind"/>.
/// With no type (SQLite, where maps are TEXT) it is the plain value.
/// </summary>
public sealed class TypedValue(object? value, Action<DbParameter>? type) : SqlMapper.ICustomQueryParameter
{
    /// <summary>The value sent (null for SQL NULL).</summary>
    public object? Value => value;

    public void Bind(DbParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        type?.Invoke(parameter);
        parameter.Value = value ?? DBNull.Value;
    }

    public void AddParameter(IDbCommand command, string name)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = (DbParameter)command.CreateParameter();
        parameter.ParameterName = name;
        Bind(parameter);
        command.Parameters.Add(parameter);
    }
}
