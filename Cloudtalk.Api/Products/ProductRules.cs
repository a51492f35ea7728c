using Cloudtalk.Api.Infrastructure;

namespace Cloudtalk.Api.Products;

/// <summary>The field rules of a product, as the contract states them.</summary>
public static class ProductRules
{
    public const int NameMaxLength = 200;
    public const int DescriptionMaxLength = 2000;
    public const decimal MaxPrice = 1_000_000_000m;

    private const string PriceRange = "a number from 0 to 1000000000 with at most 2 decimals.";

    /// <summary>
    /// Reads and validates a product body. On create every required field must be there; on update a field
    /// left out keeps its value, an optional one sent as null is cleared, a required one sent as null is an error.
    /// </summary>
    public static ProductInput? Parse(JsonFields fields, ValidationErrors errors, bool creating)
    {
        var name = fields.Text("name");
        var description = fields.Text("description");
        var price = fields.Number("price", "expected " + PriceRange);

        var input = new ProductInput(default, default, default);

        if (errors.HasValueToCheck(name.State, "name", required: creating))
        {
            var trimmed = name.Value.Trim();
            var length = trimmed.Characters();
            if (length is < 1 or > NameMaxLength)
            {
                errors.Add("name", $"The name field must be 1 to {NameMaxLength} characters long (after trimming).");
            }

            input = input with { Name = Optional.Of(trimmed) };
        }

        if (description.State == FieldState.Null)
        {
            input = input with { Description = Optional.Of<string?>(null) };
        }
        else if (description.IsPresent)
        {
            if (description.Value.Characters() > DescriptionMaxLength)
            {
                errors.Add("description", $"The description field must be at most {DescriptionMaxLength} characters long.");
            }

            input = input with { Description = Optional.Of<string?>(description.Value) };
        }

        if (errors.HasValueToCheck(price.State, "price", required: creating))
        {
            if (price.Value < 0 || price.Value > MaxPrice || decimal.Round(price.Value, 2) != price.Value)
            {
                errors.Add("price", "The price field must be " + PriceRange);
            }

            input = input with { Price = Optional.Of(price.Value) };
        }

        return errors.IsEmpty ? input : null;
    }
}

/// <summary>A validated product body; on update, fields left out are <c>default</c>.</summary>
public sealed record ProductInput(Optional<string> Name, Optional<string?> Description, Optional<decimal> Price);
