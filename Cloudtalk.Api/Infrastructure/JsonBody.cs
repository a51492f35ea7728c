using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// Reads a request body as a JSON object. Malformed JSON, an empty body or a non-object is a 400 problem,
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

        return (document, null);
    }
}
