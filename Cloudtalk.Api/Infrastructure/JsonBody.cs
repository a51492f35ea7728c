using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// Reads a request body as a JSON object. Malformed JSON, an empty body, a non-object or a property name that is not
/// valid text is a 400 problem,
/// a body over the size limit the 413 Kestrel reports; never a 500. The Content-Type is not checked
/// (as in the original service, any body is read as JSON).
/// </summary>
public static class JsonBody
{
    public static async Task<(JsonDocument? Document, ProblemHttpResult? Problem)> ReadObjectAsync(
        HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException)
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Malformed JSON",
                detail: "The request body is not valid JSON."));
        }
        catch (BadHttpRequestException exception)
        {
            // Kestrel's own limits (notably 413 for a body over 1 MiB) surface here while the body is read.
            return (null, TypedResults.Problem(statusCode: exception.StatusCode, detail: exception.Message));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Malformed JSON",
                detail: "The request body must be a JSON object."));
        }

        if (!HasReadablePropertyNames(document.RootElement))
        {
            document.Dispose();
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Malformed JSON",
                detail: "A property name in the request body is not valid text (an escape of half a UTF-16 surrogate pair)."));
        }

        return (document, null);
    }

    /// <summary>
    /// The parser accepts an escaped lone surrogate in a property name (<c>{"\udc00":1}</c>), but looking a property
    /// up by name then unescapes it and throws: such a body is refused here, before any field is read.
    /// </summary>
    private static bool HasReadablePropertyNames(JsonElement body)
    {
        foreach (var property in body.EnumerateObject())
        {
            try
            {
                _ = property.Name;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        return true;
    }
}
