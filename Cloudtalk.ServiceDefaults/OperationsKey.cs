using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Cloudtalk.ServiceDefaults;

/// <summary>
/// The operators' endpoints (the rating check, the rating sources, the rebuild) read or rewrite every product: on the
/// Api's public address they would let anyone make the service scan its whole database. They require
/// <c>Authorization: Bearer &lt;key&gt;</c> with the key in <see cref="ConfigurationKey"/>; the AppHost generates it
/// (a secret parameter) and hands it to both services and to its dashboard commands.
/// A service with no key configured refuses every call: closed unless set up.
/// </summary>
/// <remarks>
/// Written by hand because ASP.NET Core has no handler for a static key, and a token service (JWT bearer) for
/// three operator calls would be more to deploy and secure than what it protects.
/// </remarks>
public static class OperationsKey
{
    /// <summary>The configuration key of the secret (environment variable <c>Operations__Key</c>).</summary>
    public const string ConfigurationKey = "Operations:Key";

    /// <summary>The name of the OpenAPI security scheme the protected operations list.</summary>
    public const string SecuritySchemeName = "operationsKey";

    /// <summary>Refuses the endpoints' requests (401, a problem) unless they carry the operations key.</summary>
    public static TBuilder RequireOperationsKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
            IsAuthorized(context.HttpContext) ? await next(context) : Refuse(context.HttpContext));
        builder.WithMetadata(
            OperationsKeyRequirement.Instance,
            new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(ProblemDetails), ["application/problem+json"]));
        return builder;
    }

    private static bool IsAuthorized(HttpContext context)
    {
        var expected = context.RequestServices.GetRequiredService<IConfiguration>()[ConfigurationKey];
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (string.IsNullOrEmpty(expected) || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashes of equal length, compared in constant time: neither the key's content nor its length leaks.
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim())),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    private static ProblemHttpResult Refuse(HttpContext context)
    {
        context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer realm=\"operations\"";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Unauthorized",
            detail: "This operation is for operators: send the service's operations key as 'Authorization: Bearer <key>'.");
    }
}
