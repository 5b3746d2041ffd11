import tseslint from "typescript-eslint";
import cogts from "./scripts/lint/folder-boundaries.js";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "**/node_modules/**",
      "fixtures/**",
      "examples/**",
      ".test-env/**",
      "coverage/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    plugins: { cogts },
    rules: {
      // Each folder of src/ and runtime/ is used through its index.ts (see scripts/lint/folder-boundaries.js).
      "cogts/folder-boundaries": "error",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
