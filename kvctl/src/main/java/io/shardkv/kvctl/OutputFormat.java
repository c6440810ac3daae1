package io.shardkv.kvctl;

import java.util.Locale;
import picocli.CommandLine;

/** {@code --output table|json}: text for people (the default) or one JSON document for scripts. */
enum OutputFormat {
    TABLE, JSON;

    static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "table":
                    return TABLE;
                case "json":
                    return JSON;
                default:
                    throw new CommandLine.TypeConversionException("'" + value + "' is not one of table, json");
            }
        }
    }
}
